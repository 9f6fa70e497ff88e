(* Refutations of condition 2 (docs/trust.md, "Path refutations"): each checker returning true
   proves that the union graph has no Hamiltonian path in the paper's direction. *)
From Coq Require Import Arith NArith List Bool Lia FMapPositive.
From Sparsecert Require Import Sets Index Theory Facts Checkers.
Import ListNotations.
Local Open Scope N_scope.

(* --- What a Hamiltonian path gives ------------------------------------------------- *)

Section Path.
Variables (P : pattern) (g : list N).
Hypothesis Hg : HamiltonianPath P g.

Lemma path_length : length g = N.to_nat (n P).
Proof. now destruct Hg. Qed.

Lemma path_nodup : NoDup g.
Proof. now destruct Hg as [_ [H _]]. Qed.

Lemma path_in x : x < n P -> In x g.
Proof.
  destruct Hg as [Hl [Hd [Hr _]]]. intro Hx.
  assert (Hincl : incl (tokens (n P)) g).
  { apply (NoDup_length_incl Hd).
    - unfold tokens; rewrite map_length, seq_length; lia.
    - intros y Hy. unfold tokens. apply in_map_iff. exists (N.to_nat y).
      split; [lia|apply in_seq; specialize (Hr y Hy); lia]. }
  apply Hincl. unfold tokens. apply in_map_iff. exists (N.to_nat x); split; [lia|apply in_seq; lia].
Qed.

Lemma path_position x : x < n P -> exists i, (i < length g)%nat /\ nth i g 0 = x.
Proof. intro Hx. now apply In_nth, path_in. Qed.

Lemma path_token i : (i < length g)%nat -> nth i g 0 < n P.
Proof. destruct Hg as [_ [_ [Hr _]]]. intro Hi. apply Hr, nth_In, Hi. Qed.

Lemma path_inj i j : (i < length g)%nat -> (j < length g)%nat -> nth i g 0 = nth j g 0 -> i = j.
Proof. apply NoDup_nth, path_nodup. Qed.

Lemma path_edge i : (Datatypes.S i < length g)%nat -> Edge P (nth (Datatypes.S i) g 0) (nth i g 0).
Proof. destruct Hg as [_ [_ [_ He]]]. apply He. Qed.

End Path.

(* Local injectivity keeps lists duplicate-free. *)
Lemma NoDup_map_on {A B} (f : A -> B) l : (forall x y, In x l -> In y l -> f x = f y -> x = y) ->
  NoDup l -> NoDup (map f l).
Proof.
  induction l as [|x l IH]; intros Hinj Hd; simpl; constructor.
  - intro H. apply in_map_iff in H as [y [E Hy]]. inversion Hd; subst.
    rewrite (Hinj y x) in Hy; simpl; auto.
  - inversion Hd; subst. apply IH; auto. intros u v Hu Hv; apply Hinj; simpl; auto.
Qed.

(* --- Two sources, two sinks -------------------------------------------------------- *)

(* Two tokens that attend to nobody else: both would have to start the path. *)
Definition sources_check (P : pattern) (a b : N) : bool :=
  wf_check P && (a <? n P) && (b <? n P) && negb (a =? b) &&
  forallb (fun l => subset (row P l a) [(a, a)] && subset (row P l b) [(b, b)]) (seq 0 (p P)).

Lemma only_self_first P g x : HamiltonianPath P g -> x < n P ->
  (forall l j, (l < p P)%nat -> attends P l x j -> j = x) -> nth 0 g 0 = x.
Proof.
  intros Hg Hx Hs. destruct (path_position P g Hg x Hx) as [[|i] [Hi E]]; auto.
  destruct (path_edge P g Hg i Hi) as [l [Hl Ha]]. rewrite E in Ha. apply Hs in Ha; auto.
  rewrite <- Ha in E. apply (path_inj P g Hg) in E; lia.
Qed.

Theorem sources_check_sound P a b : sources_check P a b = true -> ~ HasHamiltonianPath P.
Proof.
  unfold sources_check; intros H [g Hg].
  apply andb_true_iff in H as [H Hall]; apply andb_true_iff in H as [H Hne];
  apply andb_true_iff in H as [H Hb]; apply andb_true_iff in H as [_ Ha].
  apply N.ltb_lt in Ha; apply N.ltb_lt in Hb. apply negb_true_iff, N.eqb_neq in Hne.
  rewrite forallb_forall in Hall.
  assert (Honly : forall x, x = a \/ x = b -> forall l j, (l < p P)%nat -> attends P l x j -> j = x).
  { intros x Hx l j Hl Hj. specialize (Hall l ltac:(apply in_seq; lia)).
    apply andb_true_iff in Hall as [H1 H2].
    destruct Hx as [->| ->]; [apply (subset_sound _ _ H1) in Hj|apply (subset_sound _ _ H2) in Hj];
      rewrite mem_cons, mem_nil, orb_false_r, in_iv_spec in Hj; simpl in Hj; lia. }
  apply Hne. rewrite <- (only_self_first P g a Hg Ha (Honly a (or_introl eq_refl))).
  exact (only_self_first P g b Hg Hb (Honly b (or_intror eq_refl))).
Qed.

(* Two tokens that nobody else attends to: both would have to end the path. *)
Definition sinks_check (P : pattern) (a b : N) : bool :=
  wf_check P && (a <? n P) && (b <? n P) && negb (a =? b) &&
  forall_rows P (fun _ k r => ((k =? a) || negb (mem a r)) && ((k =? b) || negb (mem b r))).

Lemma unattended_last P g x : HamiltonianPath P g -> x < n P ->
  (forall l k, (l < p P)%nat -> k < n P -> k <> x -> ~ attends P l k x) -> nth (length g - 1) g 0 = x.
Proof.
  intros Hg Hx Hs. destruct (path_position P g Hg x Hx) as [i [Hi E]].
  destruct (Nat.eq_dec i (length g - 1)) as [<-|Hne]; auto.
  destruct (path_edge P g Hg i ltac:(lia)) as [l [Hl Ha]]. rewrite E in Ha.
  exfalso; apply (Hs l (nth (Datatypes.S i) g 0)); auto.
  - apply path_token; auto; lia.
  - intro C. rewrite <- E in C. apply (path_inj P g Hg) in C; lia.
Qed.

Theorem sinks_check_sound P a b : sinks_check P a b = true -> ~ HasHamiltonianPath P.
Proof.
  unfold sinks_check; intros H [g Hg].
  apply andb_true_iff in H as [H Hall]; apply andb_true_iff in H as [H Hne];
  apply andb_true_iff in H as [H Hb]; apply andb_true_iff in H as [Hw Ha].
  apply wf_check_sound in Hw. apply N.ltb_lt in Ha; apply N.ltb_lt in Hb. apply negb_true_iff, N.eqb_neq in Hne.
  assert (Hnone : forall x, x = a \/ x = b -> forall l k, (l < p P)%nat -> k < n P -> k <> x -> ~ attends P l k x).
  { intros x Hx l k Hl Hk Hkx Hatt. assert (G := forall_rows_sound P _ Hw Hall l k Hl Hk). simpl in G.
    apply andb_true_iff in G as [G1 G2]. unfold attends in Hatt.
    destruct Hx as [->| ->].
    - apply orb_true_iff in G1 as [G1|G1]; [apply N.eqb_eq in G1; contradiction|]. rewrite Hatt in G1; discriminate.
    - apply orb_true_iff in G2 as [G2|G2]; [apply N.eqb_eq in G2; contradiction|]. rewrite Hatt in G2; discriminate. }
  apply Hne. rewrite <- (unattended_last P g a Hg Ha (Hnone a (or_introl eq_refl))).
  exact (unattended_last P g b Hg Hb (Hnone b (or_intror eq_refl))).
Qed.

(* --- Component order ---------------------------------------------------------------- *)

Definition label_of (m : PositiveMap.t N) (k : N) : N :=
  match PositiveMap.find (key k) m with Some v => v | None => 0 end.

Lemma label_of_index c k : (N.to_nat k < length c)%nat -> label_of (index c) k = nth (N.to_nat k) c 0.
Proof.
  intro H. unfold label_of. rewrite index_find. destruct (nth_error c (N.to_nat k)) eqn:E.
  - symmetry; now apply nth_error_nth.
  - apply nth_error_None in E; lia.
Qed.

(* Labels that never decrease along an edge j -> k (k attends to j), both labels a and a + 1 in
   use, and no edge from label a to label a + 1: a path would have to step from a to a + 1. *)
Definition component_check (P : pattern) (c : list N) (a : N) : bool :=
  let m := index c in
  wf_check P && (length c =? N.to_nat (n P))%nat && inb a c && inb (a + 1) c &&
  forall_rows P (fun _ k r => let lk := label_of m k in
    forall_set (fun j => (label_of m j <=? lk) && negb ((label_of m j =? a) && (lk =? a + 1))) r).

(* A sequence that grows by steps and passes from a to a + 1 takes that step somewhere. *)
Lemma step_between (f : nat -> N) a : forall d u, (forall i, (u <= i)%nat -> (i < u + d)%nat -> f i <= f (Datatypes.S i)) ->
  f u = a -> f (u + d)%nat = a + 1 -> exists i, (u <= i < u + d)%nat /\ f i = a /\ f (Datatypes.S i) = a + 1.
Proof.
  induction d as [|d IH]; intros u Hmono Hu Hw.
  - rewrite Nat.add_0_r in Hw; lia.
  - destruct (N.eq_dec (f (Datatypes.S u)) a) as [E|E].
    + destruct (IH (Datatypes.S u)) as [i [Hi1 Hi2]]; auto.
      * intros i Hi1 Hi2; apply Hmono; lia.
      * now replace (Datatypes.S u + d)%nat with (u + Datatypes.S d)%nat by lia.
      * exists i; split; [lia|auto].
    + exists u; split; [lia|split; auto].
      assert (Hup : forall e, (Datatypes.S u + e <= u + Datatypes.S d)%nat -> f (Datatypes.S u) <= f (Datatypes.S u + e)%nat).
      { induction e as [|e IHe]; intro He; [rewrite Nat.add_0_r; lia|].
        eapply N.le_trans; [apply IHe; lia|]. replace (Datatypes.S u + Datatypes.S e)%nat with (Datatypes.S (Datatypes.S u + e)) by lia.
        apply Hmono; lia. }
      specialize (Hup d ltac:(lia)). replace (Datatypes.S u + d)%nat with (u + Datatypes.S d)%nat in Hup by lia.
      specialize (Hmono u ltac:(lia) ltac:(lia)). lia.
Qed.

Theorem component_check_sound P c a : component_check P c a = true -> ~ HasHamiltonianPath P.
Proof.
  unfold component_check; intros H [g Hg].
  apply andb_true_iff in H as [H Hall]; apply andb_true_iff in H as [H Ha1];
  apply andb_true_iff in H as [H Ha0]; apply andb_true_iff in H as [Hw Hlen].
  apply wf_check_sound in Hw. apply Nat.eqb_eq in Hlen. apply inb_spec in Ha0; apply inb_spec in Ha1.
  set (m := index c) in *.
  set (f := fun i => label_of m (nth i g 0)).
  assert (Hlg := path_length P g Hg).
  (* the edge from position i to i + 1 *)
  assert (Hedge : forall i, (Datatypes.S i < length g)%nat ->
            f i <= f (Datatypes.S i) /\ ~ (f i = a /\ f (Datatypes.S i) = a + 1)).
  { intros i Hi. destruct (path_edge P g Hg i Hi) as [l [Hl Hat]].
    assert (Hk := path_token P g Hg (Datatypes.S i) Hi).
    assert (G := forall_rows_sound P _ Hw Hall l _ Hl Hk). simpl in G.
    apply (forall_set_sound _ _ G) in Hat. apply andb_true_iff in Hat as [H1 H2]. apply N.leb_le in H1.
    unfold f. split; [exact H1|]. intros [E1 E2]. rewrite E1, E2, !N.eqb_refl in H2. discriminate. }
  (* a token labelled x, and its position *)
  assert (Hpos : forall x, In x c -> exists i, (i < length g)%nat /\ f i = x).
  { intros x Hx. apply (In_nth _ _ 0) in Hx as [k [Hk E]].
    destruct (path_position P g Hg (N.of_nat k) ltac:(lia)) as [i [Hi Ei]].
    exists i; split; auto. unfold f, m. rewrite Ei, label_of_index by lia. now rewrite Nat2N.id. }
  destruct (Hpos a Ha0) as [u [Hu Eu]]. destruct (Hpos (a + 1) Ha1) as [w [Hw' Ew]].
  assert (Hmono : forall i j, (i <= j)%nat -> (j < length g)%nat -> f i <= f j).
  { intros i j Hij Hj. induction Hij; [lia|]. eapply N.le_trans; [apply IHHij; lia|apply Hedge; lia]. }
  destruct (Nat.lt_ge_cases u w) as [Huw|Hwu]; [|specialize (Hmono w u Hwu Hu); lia].
  destruct (step_between f a (w - u) u) as [i [Hi [E1 E2]]]; auto.
  - intros i Hi1 Hi2. apply Hedge; lia.
  - now replace (u + (w - u))%nat with w by lia.
  - apply (proj2 (Hedge i ltac:(lia))). auto.
Qed.

(* --- Hall: too few predecessors ------------------------------------------------------ *)

(* The tokens other than themselves that the members of Y attend to, in some pattern. *)
Definition hall_preds (ms : list (PositiveMap.t iset)) (Y : list N) : iset :=
  fold_left (fun acc y => fold_left (fun acc m => union acc (remove y (lookup m y))) ms acc) Y [].

Lemma hall_preds_spec P Y x : mem x (hall_preds (layer_maps P) Y) = true ->
  exists y, In y Y /\ x <> y /\ Edge P y x.
Proof.
  unfold hall_preds.
  assert (G : forall Y' acc, (forall y, In y Y' -> In y Y) ->
    (mem x acc = true -> exists y, In y Y /\ x <> y /\ Edge P y x) ->
    mem x (fold_left (fun acc y => fold_left (fun acc m => union acc (remove y (lookup m y))) (layer_maps P) acc) Y' acc) = true ->
    exists y, In y Y /\ x <> y /\ Edge P y x).
  { induction Y' as [|y Y' IH]; intros acc HY Hacc H; simpl in H; auto.
    apply (IH (fold_left (fun acc m => union acc (remove y (lookup m y))) (layer_maps P) acc)
              (fun z Hz => HY z (or_intror Hz))); auto. intro Hm.
    assert (G2 : forall ms acc, (forall m, In m ms -> In m (layer_maps P)) ->
      (mem x acc = true -> exists y, In y Y /\ x <> y /\ Edge P y x) ->
      mem x (fold_left (fun acc m => union acc (remove y (lookup m y))) ms acc) = true ->
      exists y, In y Y /\ x <> y /\ Edge P y x).
    { induction ms as [|m ms IHm]; intros acc' Hms Hacc' H'; simpl in H'; auto.
      apply (IHm (union acc' (remove y (lookup m y))) (fun m' Hm' => Hms m' (or_intror Hm'))); auto.
      intro Hu. rewrite mem_union, orb_true_iff in Hu. destruct Hu as [Hu|Hu]; auto.
      apply mem_remove in Hu as [Hu Hne]. exists y; split; [apply HY; now left|split; auto].
      apply edgeb_sound. unfold edgeb. apply existsb_exists. exists m; split; auto. apply Hms; now left. }
    exact (G2 _ acc (fun m Hm => Hm) Hacc Hm). }
  apply G; auto. rewrite mem_nil; discriminate.
Qed.

Lemma fold_union_keep {A} (F : A -> iset) x : forall l acc,
  (mem x acc = true \/ exists u, In u l /\ mem x (F u) = true) ->
  mem x (fold_left (fun acc u => union acc (F u)) l acc) = true.
Proof.
  induction l as [|u l IH]; intros acc H; simpl.
  - destruct H as [H|[u [[] _]]]; exact H.
  - apply IH. rewrite mem_union, orb_true_iff.
    destruct H as [H|[v [[<-|Hv] Hx]]]; auto. right; exists v; auto.
Qed.

Lemma hall_preds_complete P Y y x l : In y Y -> (l < p P)%nat -> attends P l y x -> x <> y ->
  mem x (hall_preds (layer_maps P) Y) = true.
Proof.
  intros Hy Hl Ha Hne. unfold hall_preds.
  set (G := fun acc y => fold_left (fun acc m => union acc (remove y (lookup m y))) (layer_maps P) acc).
  assert (Gkeep : forall acc z, mem x acc = true -> mem x (G acc z) = true).
  { intros acc z H. apply fold_union_keep with (F := fun m => remove z (lookup m z)); auto. }
  assert (Gnew : forall acc, mem x (G acc y) = true).
  { intro acc. apply fold_union_keep with (F := fun m => remove y (lookup m y)). right.
    exists (index (nth l (layers P) [])). split.
    - unfold layer_maps. apply in_map, nth_In, Hl.
    - apply mem_remove; split; auto. rewrite lookup_index. exact Ha. }
  change (mem x (fold_left G Y []) = true).
  assert (K : forall Y' acc, (mem x acc = true \/ In y Y') -> mem x (fold_left G Y' acc) = true).
  { induction Y' as [|z Y' IH]; intros acc H; simpl; [destruct H as [H|[]]; exact H|].
    apply IH. destruct H as [H|[<-|H]]; auto. }
  apply K; auto.
Qed.

(* On a path every member of Y but the first has its own predecessor, an in-neighbour other than
   itself, and predecessors are distinct: Y needs at least |Y| - 1 of them. *)
Definition hall_check (P : pattern) (Y : list N) : bool :=
  wf_check P && nodupb Y && forallb (fun y => y <? n P) Y &&
  (length (elements (hall_preds (layer_maps P) Y)) + 2 <=? length Y)%nat.

Theorem hall_check_sound P Y : hall_check P Y = true -> ~ HasHamiltonianPath P.
Proof.
  unfold hall_check; intros H [g Hg].
  apply andb_true_iff in H as [H Hc]; apply andb_true_iff in H as [H Hr];
  apply andb_true_iff in H as [_ Hd]. apply nodupb_sound in Hd. apply Nat.leb_le in Hc.
  rewrite forallb_forall in Hr.
  set (preds := hall_preds (layer_maps P) Y) in *.
  set (Ys := set_of Y).
  set (sel := fun i => inm Ys (nth i g 0)).
  set (N0 := length g).
  assert (HN : (1 <= N0)%nat).
  { destruct Y as [|y Y']; simpl in Hc; [lia|]. specialize (Hr y (or_introl eq_refl)). apply N.ltb_lt in Hr.
    unfold N0. rewrite (path_length P g Hg). lia. }
  (* |Y| <= positions holding a member of Y *)
  assert (H1 : (length Y <= length (filter sel (seq 0 N0)))%nat).
  { rewrite <- (map_length (fun i => nth i g 0)). apply NoDup_incl_length; auto.
    intros y Hy. apply in_map_iff. assert (Hyn := Hr y Hy). apply N.ltb_lt in Hyn.
    destruct (path_position P g Hg y Hyn) as [i [Hi E]]. exists i; split; auto.
    apply filter_In; split; [apply in_seq; lia|]. unfold sel. rewrite E. now apply inm_set_of. }
  (* ... <= 1 + positions after the first *)
  assert (H2 : (length (filter sel (seq 0 N0)) <= 1 + length (filter sel (seq 1 (N0 - 1))))%nat).
  { replace (seq 0 N0) with (0%nat :: seq 1 (N0 - 1)) by (destruct N0; [lia|simpl; f_equal; f_equal; lia]).
    simpl. destruct (sel O); simpl; lia. }
  (* positions after the first map to distinct predecessors in preds *)
  assert (H3 : (length (filter sel (seq 1 (N0 - 1))) <= length (elements preds))%nat).
  { rewrite <- (map_length (fun i => nth (i - 1) g 0)). apply NoDup_incl_length.
    - apply NoDup_map_on; [|apply NoDup_filter, seq_NoDup].
      intros i j Hi Hj E. apply filter_In in Hi as [Hi _]; apply filter_In in Hj as [Hj _].
      apply in_seq in Hi; apply in_seq in Hj. apply (path_inj P g Hg) in E; unfold N0 in *; lia.
    - intros x Hx. apply in_map_iff in Hx as [i [<- Hi]]. apply filter_In in Hi as [Hi Hs].
      apply in_seq in Hi. apply in_elements.
      destruct i as [|i]; [lia|]. replace (Datatypes.S i - 1)%nat with i by lia.
      destruct (path_edge P g Hg i ltac:(unfold N0 in *; lia)) as [l [Hl Ha]].
      apply (hall_preds_complete P Y (nth (Datatypes.S i) g 0) _ l); auto.
      + now apply inm_set_of.
      + intro E. apply (path_inj P g Hg) in E; unfold N0 in *; lia. }
  lia.
Qed.

(* --- Separator: more pieces than a path can leave ------------------------------------- *)

Fixpoint index_of (x : N) (l : list N) : nat :=
  match l with [] => O | y :: l' => if N.eqb x y then O else Datatypes.S (index_of x l') end.

Lemma index_of_spec x l : In x l -> (index_of x l < length l)%nat /\ nth (index_of x l) l 0 = x.
Proof.
  induction l as [|y l IH]; simpl; [tauto|]. intros [<-|H].
  - rewrite N.eqb_refl; split; [lia|auto].
  - destruct (N.eqb x y) eqn:E; [apply N.eqb_eq in E; subst; split; [lia|auto]|].
    destruct (IH H); split; [lia|auto].
Qed.

Lemma NoDup_map_inj {A B} (f : A -> B) l x y : NoDup (map f l) -> In x l -> In y l -> f x = f y -> x = y.
Proof.
  induction l as [|z l IH]; simpl; [tauto|]. intros Hd Hx Hy E. inversion Hd as [|u v Hz Hd']; subst.
  destruct Hx as [<-|Hx], Hy as [<-|Hy]; auto.
  - exfalso; apply Hz. rewrite E. now apply in_map.
  - exfalso; apply Hz. rewrite <- E. now apply in_map.
Qed.

Lemma filter_split {A} (f : A -> bool) l : length l = (length (filter f l) + length (filter (fun x => negb (f x)) l))%nat.
Proof. induction l as [|x l IH]; simpl; auto. destruct (f x); simpl; lia. Qed.

(* The first position of the stretch of non-separator tokens that ends at position i. *)
Fixpoint stretch_start (xs : PositiveMap.t unit) (g : list N) (i : nat) : nat :=
  match i with
  | O => O
  | Datatypes.S i' => if inm xs (nth i' g 0) then Datatypes.S i' else stretch_start xs g i'
  end.

(* X: the separator; lab: a label per token, equal along every edge that avoids X; reps: tokens
   outside X with pairwise different labels, at least |X| + 2 of them. Removing |X| tokens from a
   path leaves at most |X| + 1 stretches, each within one label. *)
Definition separator_check (P : pattern) (X lab reps : list N) : bool :=
  let xs := set_of X in
  let m := index lab in
  wf_check P && nodupb X && forallb (fun x => x <? n P) X && (length lab =? N.to_nat (n P))%nat &&
  nodupb (map (label_of m) reps) && forallb (fun r => (r <? n P) && negb (inm xs r)) reps &&
  (length X + 2 <=? length reps)%nat &&
  forall_rows P (fun _ k r => inm xs k || forall_set (fun j => inm xs j || (label_of m j =? label_of m k)) r).

Theorem separator_check_sound P X lab reps : separator_check P X lab reps = true -> ~ HasHamiltonianPath P.
Proof.
  unfold separator_check; intros H [g Hg].
  apply andb_true_iff in H as [H Hall]; apply andb_true_iff in H as [H Hcount];
  apply andb_true_iff in H as [H Hreps]; apply andb_true_iff in H as [H Hlabd];
  apply andb_true_iff in H as [H _]; apply andb_true_iff in H as [H _];
  apply andb_true_iff in H as [Hw _].
  apply wf_check_sound in Hw. apply Nat.leb_le in Hcount. rewrite forallb_forall in Hreps.
  apply nodupb_sound in Hlabd.
  set (xs := set_of X) in *. set (m := index lab) in *. set (lab_of := label_of m) in *.
  set (st := stretch_start xs g).
  assert (Hlg := path_length P g Hg).
  (* along a stretch the label is constant *)
  assert (Hst : forall i, (i < length g)%nat -> inm xs (nth i g 0) = false ->
            (st i <= i)%nat /\ lab_of (nth (st i) g 0) = lab_of (nth i g 0) /\
            (st i = O \/ inm xs (nth (st i - 1) g 0) = true)).
  { induction i as [|i IH]; intros Hi Hx; [simpl; auto|].
    unfold st; cbn [stretch_start]. destruct (inm xs (nth i g 0)) eqn:Ei.
    - split; [lia|split; [auto|right; now replace (Datatypes.S i - 1)%nat with i by lia]].
    - destruct (IH ltac:(lia) eq_refl) as [H1 [H2 H3]]. fold st. split; [lia|split; [|exact H3]].
      rewrite H2. destruct (path_edge P g Hg i Hi) as [l [Hl Ha]].
      assert (G := forall_rows_sound P _ Hw Hall l _ Hl (path_token P g Hg _ Hi)). simpl in G.
      rewrite Hx in G. simpl in G. apply (forall_set_sound _ _ G) in Ha.
      rewrite Ei in Ha. simpl in Ha. now apply N.eqb_eq in Ha. }
  set (pos := fun r => index_of r g).
  assert (Hpos : forall r, In r reps -> (pos r < length g)%nat /\ nth (pos r) g 0 = r /\ inm xs r = false).
  { intros r Hr. specialize (Hreps r Hr). apply andb_true_iff in Hreps as [H1 H2].
    apply N.ltb_lt in H1. apply negb_true_iff in H2.
    destruct (index_of_spec r g (path_in P g Hg r H1)). auto. }
  set (T := map (fun r => st (pos r)) reps).
  assert (HT : NoDup T).
  { apply NoDup_map_on; [|apply (NoDup_map_inv lab_of), Hlabd].
    intros r1 r2 H1 H2 E. apply (NoDup_map_inj lab_of reps); auto.
    destruct (Hpos r1 H1) as [P1 [Q1 R1]], (Hpos r2 H2) as [P2 [Q2 R2]].
    destruct (Hst (pos r1) P1 ltac:(now rewrite Q1)) as [_ [L1 _]].
    destruct (Hst (pos r2) P2 ltac:(now rewrite Q2)) as [_ [L2 _]].
    rewrite Q1 in L1; rewrite Q2 in L2. rewrite <- L1, <- L2. now rewrite E. }
  assert (HTin : forall s, In s T -> (s < length g)%nat /\ (s = O \/ inm xs (nth (s - 1) g 0) = true)).
  { intros s Hs. apply in_map_iff in Hs as [r [<- Hr]]. destruct (Hpos r Hr) as [P1 [Q1 R1]].
    destruct (Hst (pos r) P1 ltac:(now rewrite Q1)) as [S1 [_ S3]]. split; [lia|exact S3]. }
  assert (H0 : (length (filter (Nat.eqb O) T) <= 1)%nat).
  { change 1%nat with (length [O]). apply NoDup_incl_length; [now apply NoDup_filter|].
    intros s Hs. apply filter_In in Hs as [_ Hs]. apply Nat.eqb_eq in Hs. subst; now left. }
  assert (H1 : (length (filter (fun s => negb (Nat.eqb O s)) T) <= length X)%nat).
  { rewrite <- (map_length (fun s => nth (s - 1) g 0)). apply NoDup_incl_length.
    - apply NoDup_map_on; [|now apply NoDup_filter].
      intros s1 s2 Hs1 Hs2 E. apply filter_In in Hs1 as [Hs1 N1]; apply filter_In in Hs2 as [Hs2 N2].
      apply negb_true_iff, Nat.eqb_neq in N1; apply negb_true_iff, Nat.eqb_neq in N2.
      destruct (HTin s1 Hs1) as [A1 _], (HTin s2 Hs2) as [A2 _].
      apply (path_inj P g Hg) in E; lia.
    - intros x Hx. apply in_map_iff in Hx as [s [<- Hs]]. apply filter_In in Hs as [Hs Ns].
      apply negb_true_iff, Nat.eqb_neq in Ns. destruct (HTin s Hs) as [_ [E|E]]; [lia|].
      now apply inm_set_of. }
  assert (HL : length T = length reps) by (unfold T; now rewrite map_length).
  rewrite (filter_split (Nat.eqb O) T) in HL. lia.
Qed.
